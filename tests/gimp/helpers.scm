; Script-Fu helpers for the plug-in tests in GIMP 2.10 (tests/gimp3/helpers.scm has the same
; names for GIMP 3, so the test bodies serve both). Test images are made here, inside GIMP, so
; the tests need no binary fixtures: a seeded plasma is colourful, deterministic and has no flat
; areas.

(define (vks-new-image width height type)
  (let* ((image (car (gimp-image-new width height type)))
         (layer (car (gimp-layer-new image width height
                                     (if (= type GRAY) GRAY-IMAGE RGB-IMAGE)
                                     "Background" 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer image layer 0 0)
    (plug-in-plasma RUN-NONINTERACTIVE image layer 7 2.5)
    image))

(define (vks-layer image)
  (car (gimp-image-get-active-drawable image)))

; PNG of one drawable; keeps the colour of transparent pixels so alpha tests see everything.
(define (vks-save-drawable image drawable path)
  (file-png-save2 RUN-NONINTERACTIVE image drawable path path 0 9 0 0 0 0 0 0 1))

(define (vks-save image path)
  (vks-save-drawable image (vks-layer image) path))

(define (vks-load path)
  (car (file-png-load RUN-NONINTERACTIVE path path)))

; A failed check stops the batch command with an error, which run-gimp-test.sh reports.
(define (vks-assert condition message)
  (if (not condition) (error (string-append "assertion failed: " message))))

(define (vks-n-layers image)
  (car (gimp-image-get-layers image)))


(define (vks-selected-layer image)
  (car (gimp-image-get-active-layer image)))

(define (vks-images)
  (vector->list (cadr (gimp-image-list))))

(define (vks-new-layer image name width height type)
  (car (gimp-layer-new image width height type name 100 LAYER-MODE-NORMAL)))

(define (vks-group-new image)
  (car (gimp-layer-group-new image)))

(define (vks-to-16bit image)
  (gimp-image-convert-precision image PRECISION-U16-GAMMA))

(define (vks-16bit? image)
  (= (car (gimp-image-get-precision image)) PRECISION-U16-GAMMA))

(define (vks-gray? image)
  (and (= (car (gimp-image-base-type image)) GRAY)
       (= (car (gimp-drawable-is-gray (vks-layer image))) TRUE)))

; A slight blur: fills in the values between the 8-bit steps of a 16-bit image.
(define (vks-blur image drawable)
  (plug-in-gauss RUN-NONINTERACTIVE image drawable 3 3 0))

(define (vks-apply-to image drawable model strength scale new-layer)
  (plug-in-vkstyle RUN-NONINTERACTIVE image drawable model strength scale new-layer ""))

; Stylize the whole drawable (no dialog).
(define (vks-apply image model strength scale new-layer)
  (vks-apply-to image (vks-layer image) model strength scale new-layer))

; Neural Texture into a drawable (no dialog); tileable 0 or 1, codes as the PDB takes them.
(define (vks-texture-to image drawable model seed tileable codes)
  (plug-in-vkstyle-texture RUN-NONINTERACTIVE image drawable model seed tileable codes ""))

(define (vks-texture image model seed tileable codes)
  (vks-texture-to image (vks-layer image) model seed tileable codes))

; The image's top-level layers, top first, as a list.
(define (vks-layers image)
  (vector->list (cadr (gimp-image-get-layers image))))

; Style from Reference on a drawable (no dialog): reference a drawable or -1 (random styles of
; the seed), variations 1.., processing scale 1.0.
(define (vks-reference-to image drawable model domain reference seed strength new-layer
                          variations)
  (plug-in-vkstyle-reference RUN-NONINTERACTIVE image drawable model domain reference seed
                             strength new-layer variations 1.0 ""))

(define (vks-reference image model domain reference seed new-layer variations)
  (vks-reference-to image (vks-layer image) model domain reference seed 100 new-layer
                    variations))

; The Script-Fu server the GUI tests talk to (tests/gimp/script-fu-client.py).
(define (vks-start-server port)
  (plug-in-script-fu-server RUN-NONINTERACTIVE "127.0.0.1" port ""))

; An image's name up to its first dot: the name of the file it came from, whatever GIMP adds.
(define (vks-image-key image)
  (let* ((name (car (gimp-image-get-name image)))
         (dot (let loop ((i 0))
                (cond ((= i (string-length name)) i)
                      ((char=? (string-ref name i) #\.) i)
                      (else (loop (+ i 1)))))))
    (substring name 0 dot)))

; The open image whose file name (up to its first dot) is `key`.
(define (vks-image-named key)
  (let loop ((images (vks-images)))
    (cond ((null? images) (error (string-append "no image named " key)))
          ((string=? (vks-image-key (car images)) key) (car images))
          (else (loop (cdr images))))))

; Diffusion Sprites (no dialog): returns the new image. sampler "ddim" or "ddpm".
(define (vks-sprites model context seed sampler steps count upscale guidance)
  (car (plug-in-vkstyle-sprites RUN-NONINTERACTIVE model context seed sampler steps count
                                upscale guidance "")))

; Diffusion Variation of the image's drawable (no dialog); new-layer 0 or 1.
(define (vks-variation image model strength steps seed context new-layer)
  (plug-in-vkstyle-variation RUN-NONINTERACTIVE image (vks-layer image) model strength steps
                             seed context new-layer ""))

; A layer's offsets in the image, as a list (x y).
(define (vks-offsets layer)
  (gimp-drawable-offsets layer))
